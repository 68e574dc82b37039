"""Staffing maths: Erlang C per interval, arrivals forecasts and staffing plans."""
