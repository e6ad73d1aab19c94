complete --keep-order --exclusive --command aws-okta --arguments "(COMPLETE=fish aws-okta -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
