from services.douyin_fetcher.fake_server import main

raise SystemExit(main())
