"""Ground truth marked by eye once on the 512×512 astronaut at full size (pixel-centre coordinates).

Pupils from the iris edges in a grey-level dump: left/right iris/sclera boundaries give x, the lower iris edge
minus the radius gives y (the upper lid covers the iris top). Crown = top of the hair over the face; chin = the
shadow line where the chin turns under, above the lighter neck.
"""

import numpy as np

LEFT_PUPIL = (202.6, 100.5)
RIGHT_PUPIL = (246.1, 102.7)
NOSE = (223.5, 127.5)
MOUTH_LEFT = (203.0, 139.5)
MOUTH_RIGHT = (244.5, 141.5)
CROWN = (229.0, 15.5)
CHIN = (224.3, 180.0)

LANDMARKS = np.array([LEFT_PUPIL, RIGHT_PUPIL, NOSE, MOUTH_LEFT, MOUTH_RIGHT])
HEAD_HEIGHT = CHIN[1] - CROWN[1]        # 164.5 px
