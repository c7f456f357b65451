using System.Runtime.Intrinsics.X86;

namespace Fovea.Tests.Kernels;

/// <summary>A theory that reruns the kernels in child processes with x86 instruction sets switched off: reported as
/// skipped, with the reason, on a CPU without AVX2 or an operating system the switches are not read on (the switches
/// only narrow x86 paths; there the in-process self-test covers the one path).</summary>
public sealed class X86ChildProcessTheoryAttribute : TheoryAttribute
{
    public X86ChildProcessTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsWindows())
            Skip = "the runtime's instruction-set switches are exercised on Linux and Windows only";
        else if (!Avx2.IsSupported)
            Skip = "this CPU has no AVX2: there is no wider path to switch off";
    }
}
