namespace Fovea.IO;

/// <summary>
/// The element types Fovea reads and writes in safetensors files, named as in the format's <c>dtype</c> field.
/// F32 holds weights; the integer types hold optimiser step counters, labels and RNG state.
/// </summary>
/// <remarks>
/// The format defines more (F16, BF16, BOOL, I8, U16, F8_*, ...). They are rejected on reading with a message
/// naming the dtype rather than read into a type the engine cannot compute with.
/// </remarks>
public enum SafeTensorsDType
{
    /// <summary>64-bit floating point.</summary>
    F64,
    /// <summary>32-bit floating point: weights and optimiser slots.</summary>
    F32,
    /// <summary>64-bit signed integer: step counters and random-number state.</summary>
    I64,
    /// <summary>32-bit signed integer: labels.</summary>
    I32,
    /// <summary>8-bit unsigned integer: bytes such as pixels.</summary>
    U8,
}

internal static class SafeTensorsDTypes
{
    public static int ElementSize(this SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.F64 or SafeTensorsDType.I64 => 8,
        SafeTensorsDType.F32 or SafeTensorsDType.I32 => 4,
        SafeTensorsDType.U8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), $"unknown dtype {(int)dtype}"),
    };

    /// <summary>The dtype that stores elements of the .NET type <typeparamref name="T"/>, or null.</summary>
    public static SafeTensorsDType? Of<T>() where T : unmanaged =>
        typeof(T) == typeof(double) ? SafeTensorsDType.F64
        : typeof(T) == typeof(float) ? SafeTensorsDType.F32
        : typeof(T) == typeof(long) ? SafeTensorsDType.I64
        : typeof(T) == typeof(int) ? SafeTensorsDType.I32
        : typeof(T) == typeof(byte) ? SafeTensorsDType.U8
        : null;

    /// <summary>Matches the spelling in the file exactly: the format is case-sensitive ("f32" is not a dtype).</summary>
    public static bool TryParse(string text, out SafeTensorsDType dtype)
    {
        switch (text)
        {
            case "F64": dtype = SafeTensorsDType.F64; return true;
            case "F32": dtype = SafeTensorsDType.F32; return true;
            case "I64": dtype = SafeTensorsDType.I64; return true;
            case "I32": dtype = SafeTensorsDType.I32; return true;
            case "U8": dtype = SafeTensorsDType.U8; return true;
            default: dtype = default; return false;
        }
    }

    public const string SupportedList = "F64, F32, I64, I32, U8";
}
