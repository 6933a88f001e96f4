"""Ground truth marked by eye once on the 512×512 astronaut at full size (pixel-centre coordinates).

Pupils from the iris edges in a grey-level dump: left/right iris/sclera boundaries give x, the lower iris edge
minus the radius gives y (the upper lid covers the iris top). Crown = top of the hair over the face. Chin = the
lower edge of the lit chin: the steepest light-to-dark step of the grey profile down the face's centre line
(rows 176-178: ~150 → ~105 → ~72 grey levels), where the chin's outline meets the shadow it casts on the neck.
An earlier mark (y 180.0) sat in the darkest row of that cast shadow, 1.5 % of the head height lower.
"""

import numpy as np

LEFT_PUPIL = (202.6, 100.5)
RIGHT_PUPIL = (246.1, 102.7)
NOSE = (223.5, 127.5)
MOUTH_LEFT = (203.0, 139.5)
MOUTH_RIGHT = (244.5, 141.5)
CROWN = (229.0, 15.5)
CHIN = (224.3, 177.5)

LANDMARKS = np.array([LEFT_PUPIL, RIGHT_PUPIL, NOSE, MOUTH_LEFT, MOUTH_RIGHT])
HEAD_HEIGHT = CHIN[1] - CROWN[1]        # 162.0 px
