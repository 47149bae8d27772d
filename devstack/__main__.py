"""`python -m devstack`: run the local stack (see `devstack.runner`)."""

import sys

from .runner import main

sys.exit(main())
