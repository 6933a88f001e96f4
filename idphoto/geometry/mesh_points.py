"""Named points of the MediaPipe Face Mesh topology (468 points). "left" is the eye or side with the smaller x in
an upright, unmirrored photo (the person's right), as everywhere in idphoto."""

CHIN = 152                    # lowest point of the chin (menton)
FOREHEAD_TOP = 10             # top of the face oval, mid forehead
FOREHEAD_BAND = (109, 338)    # face-oval points either side of FOREHEAD_TOP: the crown is searched between them
NOSE_BRIDGE = 168

LEFT_EYE_CORNERS = (33, 133)          # outer, inner
RIGHT_EYE_CORNERS = (362, 263)        # inner, outer
LEFT_EYE_LIDS = ((160, 144), (159, 145), (158, 153))     # (upper, lower) pairs across the eye
RIGHT_EYE_LIDS = ((385, 380), (386, 374), (387, 373))

MOUTH_CORNERS = (61, 291)
INNER_LIPS = ((82, 87), (13, 14), (312, 317))            # (upper, lower) pairs across the mouth

# The lower face oval from one ear to the other through the chin.
JAW = (234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361, 323, 454)
EAR_LEVEL = (234, 454)        # face-oval points at the ears, the back end of the Frankfurt line

# Bilaterally symmetric pairs (left, right): their differences point along the head's left-right axis.
SYMMETRIC_PAIRS = (
    (33, 263), (133, 362), (159, 386), (145, 374), (70, 300), (105, 334), (61, 291), (234, 454), (93, 323),
    (132, 361), (58, 288), (172, 397), (136, 365), (150, 379), (149, 378), (176, 400), (148, 377),
)
