from modops.cli import main

main()
