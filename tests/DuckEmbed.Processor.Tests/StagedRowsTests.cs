using DuckEmbed.Processor.Input;
using DuckEmbed.Processor.Output;
using DuckEmbed.Processor.Pipeline;

namespace DuckEmbed.Processor.Tests;

/// <summary>How the parallel insert's threads take the writer's windows: a row group per thread and statement, no row twice.</summary>
public sealed class StagedRowsTests
{
    private const int Chunk = 2048;

    private static RowWindow Window(int rows)
    {
        var window = new RowWindow(rows, IdColumn.For("id", "BIGINT")) { Count = rows };
        Array.Fill(window.Texts, "t");
        return window;
    }

    // Takes chunks for the lane until it is refused; returns the rows taken, each chunk marked copied.
    private static int TakeAll(StagedRows rows, StagedRows.Lane lane, List<(RowWindow, int, int)>? taken = null)
    {
        var total = 0;
        while (rows.TryTake(lane, Chunk, out var part, out var start, out var count))
        {
            taken?.Add((part.Window, start, count));
            rows.Copied(part, count);
            total += count;
        }
        return total;
    }

    [Fact]
    public void Each_thread_takes_one_row_group_and_the_rows_left_are_the_next_statements_each_row_once()
    {
        var rows = new StagedRows();
        var windows = Enumerable.Range(0, 6).Select(_ => Window(50_000)).ToList();
        var parts = windows.Select(rows.Queue).ToList();
        var taken = new List<(RowWindow Window, int Start, int Count)>();

        rows.StartStatement();
        var first = new[] { TakeAll(rows, new StagedRows.Lane(), taken), TakeAll(rows, new StagedRows.Lane(), taken) };
        var firstTally = rows.Taken;
        rows.StartStatement();
        rows.EndStatement();
        var second = TakeAll(rows, new StagedRows.Lane(), taken);

        Assert.Equal([StagedRows.LaneRows, StagedRows.LaneRows], first);
        Assert.Equal(2L * StagedRows.LaneRows, firstTally.Rows);
        Assert.Equal(300_000 - (2 * StagedRows.LaneRows), second);
        Assert.Equal(second, rows.Taken.Rows);
        Assert.All(parts, p => Assert.True(p.Copied));
        foreach (var window in windows)
        {
            var covered = new int[window.Count];
            foreach (var (_, start, count) in taken.Where(t => t.Window == window))
            {
                for (var i = start; i < start + count; i++)
                {
                    covered[i]++;
                }
            }
            Assert.All(covered, c => Assert.Equal(1, c));
        }
    }

    [Fact]
    public async Task A_thread_waits_for_the_writers_next_window_until_the_statement_ends()
    {
        var rows = new StagedRows();
        rows.StartStatement();
        var lane = new StagedRows.Lane();
        var thread = Task.Run(() => TakeAll(rows, lane));

        await Task.Delay(100);
        Assert.False(thread.IsCompleted);
        rows.Queue(Window(3000));
        await Task.Delay(100);
        Assert.False(thread.IsCompleted);
        rows.EndStatement();

        Assert.Equal(3000, await thread.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task The_writer_waits_until_its_window_is_copied_or_the_statement_ends_first()
    {
        var rows = new StagedRows();
        rows.StartStatement();
        var part = rows.Queue(Window(100));
        var statement = new TaskCompletionSource();

        var waiting = Task.Run(() => rows.WaitCopied(part, statement.Task));
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);
        Assert.True(rows.TryTake(new StagedRows.Lane(), Chunk, out var taken, out _, out var count));
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted); // taken, not yet copied
        rows.Copied(taken, count);
        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));

        var next = rows.Queue(Window(100));
        var ended = Task.Run(() => rows.WaitCopied(next, statement.Task));
        statement.SetResult();
        rows.Wake();
        Assert.False(await ended.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Stopping_ends_every_wait_with_nothing_more_taken()
    {
        var rows = new StagedRows();
        rows.StartStatement();
        var thread = Task.Run(() => TakeAll(rows, new StagedRows.Lane()));
        await Task.Delay(100);

        rows.Stop();
        rows.Queue(Window(10));

        Assert.Equal(0, await thread.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(rows.TryTake(new StagedRows.Lane(), Chunk, out _, out _, out _));
    }
}
