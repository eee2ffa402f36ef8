"""The upload of an export to the Hugging Face Hub, in one commit that names the project's commit."""

from __future__ import annotations

from pathlib import Path

from ..files import BenchError
from .hub_export import MARKER


def check_repo_id(repo_id: str) -> str:
    """A repository id the Hub accepts (`name` or `namespace/name`), checked before any work or network."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as err:
        raise BenchError(f"invalid dataset repository id: {err}") from None
    return repo_id


def push(folder: Path, repo_id: str, private: bool, commit: str) -> str:
    """Upload the export in one commit that names the project's commit; returns the commit URL."""
    from huggingface_hub import DatasetCard, HfApi, get_token

    token = get_token()
    if not token:
        raise BenchError("no Hugging Face token: set HF_TOKEN or log in with `hf auth login`")
    try:
        DatasetCard.load(Path(folder) / "README.md").validate(repo_type="dataset")
        api = HfApi(token=token)
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        info = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset",
                                 ignore_patterns=[MARKER],
                                 commit_message=f"Release deserter-bench data from commit {commit}")
    except Exception as err:  # the Hub client raises many kinds; each becomes one clear message
        reason = f"{type(err).__name__}: {err}".replace(token, "***")
        raise BenchError(f"could not reach the Hugging Face Hub or it refused the upload ({reason})") from None
    return str(info.commit_url)
