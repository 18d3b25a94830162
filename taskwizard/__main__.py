from taskwizard.cli import main

raise SystemExit(main())
