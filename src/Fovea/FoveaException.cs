namespace Fovea;

/// <summary>
/// A problem with what the user gave (bad data, a bad model file, a wrong path or option), as opposed to a bug: the
/// message is one line, fit to show as is, and names the file (and byte offset where one applies) or the option.
/// The CLI shows it as <c>error: …</c> and exits 2; any other exception is an internal error (exit 1).
/// </summary>
public class FoveaUsageException : Exception
{
    /// <summary>A usage error with a one-line <paramref name="message"/>.</summary>
    public FoveaUsageException(string message) : base(message) { }
    /// <summary>A usage error with a one-line <paramref name="message"/>, caused by <paramref name="inner"/>.</summary>
    public FoveaUsageException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A usage problem raised by the library (a bad file, a folder that cannot be written); see <see cref="FoveaUsageException"/>.</summary>
public class FoveaException : FoveaUsageException
{
    /// <summary>A usage error with a one-line <paramref name="message"/>.</summary>
    public FoveaException(string message) : base(message) { }
    /// <summary>A usage error with a one-line <paramref name="message"/>, caused by <paramref name="inner"/>.</summary>
    public FoveaException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A data file that is missing, truncated or malformed.</summary>
public sealed class InvalidDataFileException : FoveaException
{
    /// <summary>A bad data file; <paramref name="message"/> names it, in one line.</summary>
    public InvalidDataFileException(string message) : base(message) { }
    /// <summary>A bad data file; <paramref name="message"/> names it, in one line; <paramref name="inner"/> is the error that revealed it.</summary>
    public InvalidDataFileException(string message, Exception inner) : base(message, inner) { }
}
