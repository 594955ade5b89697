"""Decisions from stored runs: the best policy with a guarantee, and robustness across draws.

``select`` is the ranking-and-selection procedure (KN, fully sequential, on common random
numbers) over any source of replications; ``runs`` makes run and sweep folders such a source
(extending them when the procedure needs more replications); ``robustness`` gives regret and
satisficing of policies over the uncertain draws they share.
"""
