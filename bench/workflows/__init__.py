"""Above the stages: the work of each command, which crosses stages (run, then publish; a model's predictions
as Label Studio pre-annotations; timing the whole pipeline). The CLI calls one function here per command."""
