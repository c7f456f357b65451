namespace Fovea.Cli;

/// <summary>The program's exit codes, the same for every command.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    /// <summary>An internal error: a bug, not the user's input.</summary>
    public const int InternalError = 1;
    /// <summary>Bad input or usage: a one-line message on stderr.</summary>
    public const int BadInput = 2;
    /// <summary>Interrupted by Ctrl+C or SIGTERM (128 + SIGINT), after saving what could be saved.</summary>
    public const int Interrupted = 130;
}
