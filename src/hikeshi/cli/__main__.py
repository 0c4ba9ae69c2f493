import sys

from hikeshi.cli import main

sys.exit(main())
