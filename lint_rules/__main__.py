from lint_rules.cli import main

raise SystemExit(main())
