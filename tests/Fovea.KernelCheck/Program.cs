using Fovea.Kernels;

// Prints "path=<kernel path> cases=N failed=F" and any failures; exit code 0 only if every case passed.
var (passed, report) = KernelSelfTest.Run();
Console.Write(report);
return passed ? 0 : 1;
