using DuckEmbed.Tests;

namespace DuckEmbed.Cli.Tests;

/// <summary>The progress as a person sees it: the real program in a real terminal (tmux), the screen read back.</summary>
public sealed class LiveProgressTests : IDisposable
{
    private readonly TempDirectory _folder = new();
    private readonly string _session = $"duckembed-{Guid.NewGuid():N}"[..24];

    public void Dispose()
    {
        Shell.Run("tmux", ["kill-session", "-t", _session], TimeSpan.FromSeconds(10));
        _folder.Dispose();
    }

    [Fact]
    public void On_a_terminal_the_progress_is_one_line_redrawn_in_place_and_the_summary_follows_it()
    {
        CorpusInput.WriteFirstLines(_folder.File("input.duckdb"), 1200);
        File.WriteAllText(_folder.File("config.json"), """
            { "input_db_path": "input.duckdb", "output_db_path": "output.duckdb", "input_table": "texts",
              "id_column": "id", "text_column": "text", "output_table": "embedded", "batches_per_window": 1 }
            """);
        var shell = $"cd '{_folder.Path}' && BATCH_SIZE=16 dotnet '{Path.Combine(AppContext.BaseDirectory, "embed.dll")}' --config config.json; echo EXIT=$?; sleep 600";
        var (started, startLog) = Shell.Run("tmux", ["new-session", "-d", "-s", _session, "-x", "220", "-y", "50", shell], TimeSpan.FromSeconds(30));
        Assert.True(started == 0, $"tmux is needed for this test: {startLog}");

        var screens = new List<string>();
        // 7 s alone; the parallel suite on 2 cores once kept it past 4 minutes.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(8);
        while (DateTime.UtcNow < deadline && !(screens.LastOrDefault()?.Contains("EXIT=", StringComparison.Ordinal) ?? false))
        {
            Thread.Sleep(300);
            screens.Add(Shell.Run("tmux", ["capture-pane", "-p", "-t", _session], TimeSpan.FromSeconds(10)).Output);
        }
        var last = screens[^1];

        Assert.True(last.Contains("EXIT=0", StringComparison.Ordinal), $"Not done after {screens.Count} screens; the last:\n{last}");
        // While it ran, the screen showed the live line: a bar, the counts, the rates, the device and precision, the stage.
        Assert.Contains(screens, screen => screen.Split('\n').Any(line =>
            line.StartsWith('[') && line.Contains('█') && line.Contains(" / 1,200 rows", StringComparison.Ordinal) &&
            line.Contains("rows/s", StringComparison.Ordinal) && line.Contains("tokens/s", StringComparison.Ordinal) &&
            line.Contains("ETA", StringComparison.Ordinal) && line.EndsWith("cpu fp32  embedding", StringComparison.Ordinal)));
        // Redrawn in place: at the end one progress line, at 100 %, then the summary — not a line per update.
        var lines = last.Split('\n');
        var progress = Assert.Single(lines, line => line.Contains(" rows/s ", StringComparison.Ordinal) && line.Contains("ETA", StringComparison.Ordinal));
        Assert.Contains("100.0 %  1,200 / 1,200 rows", progress, StringComparison.Ordinal);
        Assert.EndsWith("cpu fp32  done", progress, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, line => line.StartsWith("Processed ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("Done: 1,200 rows written to embedded", StringComparison.Ordinal));
        Assert.True(Array.FindIndex(lines, line => line.StartsWith("Done:", StringComparison.Ordinal)) > Array.IndexOf(lines, progress));
    }
}
