namespace Fovea;

/// <summary>
/// A problem with the user's input (a bad data file, a corrupt model, a wrong path): the message is one line,
/// fit to show as is, and names the file (and byte offset where one applies). The CLI maps it to exit code 2.
/// </summary>
public class FoveaException : Exception
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
