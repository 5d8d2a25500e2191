"""What a reader sees of a run, each view drawn from its Trace: the log, the diagrams, the stepper's frames, the
narrative, the worksheet, the plots, and the notes on what went wrong."""
