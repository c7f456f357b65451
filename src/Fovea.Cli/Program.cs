using Fovea.Cli;
using Fovea.Kernels;

// This machine's measured kernel choices, before any kernel runs (the vector path is fixed at its first use).
FoveaCli.Tuning = KernelTuning.ApplyForThisMachine();
return FoveaCli.Run(args);
