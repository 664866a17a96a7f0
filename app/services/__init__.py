"""The domain rules. Views, API, CLI and jobs call these; they never read the request."""
