"""Text screening: normalisation, term lists, channel rules, classifiers, AutoMod levels, spam and raids."""
