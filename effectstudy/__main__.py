import sys

from effectstudy.cli import main

sys.exit(main())
