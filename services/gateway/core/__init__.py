"""The gateway's transport-free core: the public API's job, upload and spec operations over the job store, the
work queue, the object store and the batch service. Servicers and REST only convert and delegate here."""
