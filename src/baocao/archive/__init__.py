"""Archive a year's build with its sources (BagIt + RO-Crate), verify an archive, reproduce it.

``baocao archive --year Y [--out DIR] [--sign KEY]`` → :func:`make_archive` (:mod:`.packing`)
    Packs ``build/<year>/`` and everything the build read into a BagIt bag (RFC 8493, sha256
    and sha512 manifests) ``<out>/<unit>-<year>/`` and its zip ``<out>/<unit>-<year>.zip``
    (layout: :mod:`.layout`; bag and zip: :mod:`.bag`; RO-Crate: :mod:`.crate`; README.txt:
    :mod:`.readme`). Deterministic: two archives of one build are byte-identical. With
    ``--sign`` the tag manifests are signed with an Ed25519 key (:mod:`.signing`).

``baocao verify PATH [--key PUB]`` → :func:`verify` (:mod:`.verification`, :mod:`.zipsafe`)
    A bag folder or its zip. Exit 0 when intact; otherwise one line per problem naming the
    file, exit 1. A zip is judged from its directory before anything is written (names, links,
    sizes, compression ratio). Says whether the bag is signed, and checks the signature with
    ``--key``; lists the bag's code that differs from the installed project (:mod:`.trust`).

``baocao reproduce PATH [--trust-bag-code] [--keep]`` → :func:`reproduce` (:mod:`.reproduction`)
    Verifies the bag, refuses one whose code differs from the installed project (unless
    ``--trust-bag-code``), rebuilds the year in a temporary folder in a clean environment, and
    compares every output with the bag's copy.

``baocao keygen [--out DIR] [--name SIGNER]`` → :func:`keygen` (:mod:`.signing`).
"""

from ..errors import BagCodeDiffersError, BagDamagedError, BuildChangedError, ReproduceMismatchError, StaleBuildError
from .bag import bag_info, finish_bag, write_tagmanifests, write_zip
from .crate import write_crate
from .layout import CHECKSUMS, SIGNATURE_NAME, bag_name, human_size, payload_path_for_input, payload_path_for_output
from .packing import ArchiveResult, check_build, make_archive, recover_out
from .problems import LABELS, Problem
from .readme import readme_text
from .reproduction import ReproduceResult, reproduce, tool_differences
from .signing import SignatureStatus, check_signature, keygen, load_private_key, load_public_key, sign_bag
from .trust import CodeDifference, code_differences, installed_project
from .verification import verify, verify_bag_dir
from .zipsafe import LIMITS, Limits, opened_bag, zip_entry_problems, zip_size_problems

__all__ = [
    "ArchiveResult",
    "BagCodeDiffersError",
    "BagDamagedError",
    "BuildChangedError",
    "CHECKSUMS",
    "CodeDifference",
    "LABELS",
    "LIMITS",
    "Limits",
    "Problem",
    "ReproduceMismatchError",
    "ReproduceResult",
    "SIGNATURE_NAME",
    "SignatureStatus",
    "StaleBuildError",
    "bag_info",
    "bag_name",
    "check_build",
    "check_signature",
    "code_differences",
    "finish_bag",
    "human_size",
    "installed_project",
    "keygen",
    "load_private_key",
    "load_public_key",
    "make_archive",
    "opened_bag",
    "payload_path_for_input",
    "payload_path_for_output",
    "readme_text",
    "recover_out",
    "reproduce",
    "sign_bag",
    "tool_differences",
    "verify",
    "verify_bag_dir",
    "write_crate",
    "write_tagmanifests",
    "write_zip",
    "zip_entry_problems",
    "zip_size_problems",
]
