"""One replication in SimPy: the world and its actors."""
