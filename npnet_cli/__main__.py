from npnet_cli.main import main

raise SystemExit(main())
