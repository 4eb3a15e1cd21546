from embedviz.cli import main

raise SystemExit(main())
