"""The product's vocabulary, typed and free of I/O: image and face types, document specs and their catalogue, render
options and their checks, colours and backgrounds, print-sheet layout, the face analysis the services exchange."""
