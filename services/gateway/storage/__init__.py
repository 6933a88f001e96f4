"""The gateway's object store: uploads, cutouts and outputs behind one small interface, local files or S3."""

from services.gateway.storage.base import ObjectStore, StoredObject, check_key, key_problem
from services.gateway.storage.config import StorageConfig, create_store
from services.gateway.storage.local import LocalStore
from services.gateway.storage.s3 import S3Store

__all__ = ["LocalStore", "ObjectStore", "S3Store", "StorageConfig", "StoredObject", "check_key", "create_store",
           "key_problem"]
