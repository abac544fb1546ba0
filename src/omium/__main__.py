from omium.cli.main import main

main()
