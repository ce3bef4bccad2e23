using System.Runtime.InteropServices;

namespace DuckEmbed.Cli;

/// <summary>
/// Turns Ctrl-C (SIGINT) and SIGTERM into a cancellation, so a command stops at a clean point (a committed window,
/// a deleted scratch folder) instead of being killed by the runtime; remembers which signal it was for the exit code.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration _onTerminate;

    public StopSignals()
    {
        Console.CancelKeyPress += OnCancelKey;
        _onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            ExitCode = ExitCodes.Terminated;
            _stop.Cancel();
        });
    }

    public CancellationToken Token => _stop.Token;

    public bool Stopped => _stop.IsCancellationRequested;

    /// <summary>130 after Ctrl-C, 143 after SIGTERM, as shells report a process ended by those signals.</summary>
    public int ExitCode { get; private set; } = ExitCodes.Interrupted;

    private void OnCancelKey(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        _stop.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKey;
        _onTerminate.Dispose();
        _stop.Dispose();
    }
}
