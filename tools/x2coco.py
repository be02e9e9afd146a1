"""Convert VOC, labelme or Cityscapes annotations to COCO JSON, with a validation report.

Exit status: 0 converted cleanly, 1 converted with errors (or warnings under --strict),
2 could not run (bad flags or paths). See docs/X2COCO.md.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ppdet.convert import convert  # noqa: E402
from ppdet.convert.cli import add_arguments, options_from_args  # noqa: E402
from ppdet.core.errors import PPDetError  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    args = parser.parse_args()
    try:
        report = convert(options_from_args(args))
    except PPDetError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    print(report.render())
    return report.exit_code


if __name__ == '__main__':
    sys.exit(main())
