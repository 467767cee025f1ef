from renkou.cli import main

main()
