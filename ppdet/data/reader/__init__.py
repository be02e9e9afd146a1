"""Readers: batches from a dataset and transform lists; importing registers them."""
from ppdet.data.reader.collate import collate  # noqa: F401
from ppdet.data.reader.loader import (BaseDataLoader, EvalReader, TestReader,  # noqa: F401
                                      TrainReader, batch_indices)
