"""Each moto patch module names the moto version it was written for; a
different moto stops the launcher before anything is patched, so a moto
upgrade is a moment to re-read every patch rather than a silent change."""

import moto


def require(patch, written_for, question):
    if moto.__version__ != written_for:
        raise SystemExit(
            f"{patch} was written for moto {written_for}, this is {moto.__version__}: "
            f"{question}? Its \"still needed\" test (deployer/tests/moto_patches.rs, or "
            "state_machine_on_moto.rs for history paging) tells; update or drop the patch"
        )
