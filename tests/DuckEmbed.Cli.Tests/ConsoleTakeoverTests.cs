namespace DuckEmbed.Cli.Tests;

/// <summary>
/// The live terminal attached to this process's real console. Alone: it takes over <see cref="Console.Out"/> for
/// every test in the process while it runs.
/// </summary>
[CollectionDefinition(nameof(ConsoleTakeoverTests), DisableParallelization = true)]
[Collection(nameof(ConsoleTakeoverTests))]
public sealed class ConsoleTakeoverTests
{
    [Fact]
    public void The_live_line_is_drawn_while_a_log_line_holds_the_console_writer()
    {
        using var terminal = LiveTerminal.Attach();
        // The console logger writes through Console.Out, a synchronized writer locked for each of its writes; the
        // line it writes waits for the terminal, so a redraw must not wait for that lock (a run once hung there).
        var logWriter = Console.Out;
        lock (logWriter)
        {
            var redraw = new Thread(() => terminal.Show("")) { IsBackground = true };
            redraw.Start();
            Assert.True(redraw.Join(TimeSpan.FromSeconds(30)), "The live line waited for the lock the console logger's writer holds: a deadlock.");
        }
        terminal.EndLine();
    }
}
