from hotpapers.cli import main

main()
