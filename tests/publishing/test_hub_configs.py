import pytest

pytest.importorskip("datasets")

from bench.publishing.hub_configs import (  # noqa: E402
    DEFAULT_CONFIG,
    config_rows,
    configs,
    dataset_infos,
    parquet_bytes,
    parquet_tables,
    split_dataset,
)


def test_dataset_infos_are_read_off_the_splits_and_their_files(repo):
    schema, corpus = repo.schema(), repo.corpus()
    rows = config_rows(corpus, repo.valid_gold(schema, corpus), schema)
    tables = parquet_tables(rows, [], [])
    splits = {path: (config, name, split_dataset(found, config, schema)) for path, (config, name, found) in tables.items()
              if config in configs(schema)}
    files = {path: parquet_bytes(dataset) for path, (_, _, dataset) in splits.items()}
    infos = dataset_infos(splits, files)
    assert list(infos) == configs(schema) and configs(schema)[0] == DEFAULT_CONFIG
    for config, info in infos.items():
        assert {name: split.num_examples for name, split in info.splits.items()} == {
            language: sum(r["language"] == language for r in rows[config]) for language in ("en", "nl")}
        assert info.download_size == sum(len(files[path]) for path in files if path.startswith(f"{config}/"))
        assert info.dataset_size == sum(split.num_bytes for split in info.splits.values()) > 0
        assert info.features == splits[f"{config}/en-00000-of-00001.parquet"][2].features
