namespace Fovea;

/// <summary>
/// A problem with what the user gave (bad data, a bad model file, a wrong path or option), as opposed to a bug: the
/// message is one line, fit to show as is, and names the file (and byte offset where one applies) or the option.
/// The CLI shows it as <c>error: …</c> and exits 2; any other exception is an internal error (exit 1).
/// </summary>
public class FoveaUsageException : Exception
{
    public FoveaUsageException(string message) : base(message) { }
    public FoveaUsageException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A usage problem raised by the library (a bad file, a folder that cannot be written); see <see cref="FoveaUsageException"/>.</summary>
public class FoveaException : FoveaUsageException
{
    public FoveaException(string message) : base(message) { }
    public FoveaException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A data file that is missing, truncated or malformed.</summary>
public sealed class InvalidDataFileException : FoveaException
{
    public InvalidDataFileException(string message) : base(message) { }
    public InvalidDataFileException(string message, Exception inner) : base(message, inner) { }
}
