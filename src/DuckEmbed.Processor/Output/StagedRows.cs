using DuckEmbed.Processor.Pipeline;

namespace DuckEmbed.Processor.Output;

/// <summary>
/// The rows handed to a running <c>INSERT … SELECT</c> (<see cref="ParallelInsertWriter"/>): windows queued by the
/// writer, taken a data chunk at a time by DuckDB's threads. Each thread fills a lane of one row group and takes no
/// more, so that its own collection holds whole row groups only, which DuckDB writes straight to the file and links in
/// at the commit (a partial row group per thread and statement doubled the file and halved the speed). The statement
/// ends when its lanes are full or the writer ends it; rows it did not take are the next statement's.
/// </summary>
internal sealed class StagedRows
{
    /// <summary>Rows per lane: DuckDB's row group.</summary>
    public const int LaneRows = OutputWriter.CommitRows;

    private readonly object _gate = new();
    private readonly Queue<Part> _queue = new();
    private WindowTally _taken;
    private bool _ending;
    private bool _stopped;

    /// <summary>A queued window and how far its rows are taken and copied.</summary>
    public sealed class Part(RowWindow window)
    {
        public RowWindow Window { get; } = window;
        internal int Next { get; set; }
        internal int NotCopied { get; set; } = window.Count;
        public bool Copied => NotCopied == 0;
    }

    /// <summary>One DuckDB thread's rows in the statement.</summary>
    public sealed class Lane
    {
        internal int Rows { get; set; }
    }

    /// <summary>Starts a statement's rows: what is still queued, and whatever is queued until it ends.</summary>
    public void StartStatement()
    {
        lock (_gate)
        {
            _taken = default;
            _ending = false;
        }
    }

    /// <summary>Queues <paramref name="window"/>'s rows for the statements to take.</summary>
    public Part Queue(RowWindow window)
    {
        var part = new Part(window);
        lock (_gate)
        {
            _queue.Enqueue(part);
            Monitor.PulseAll(_gate);
        }
        return part;
    }

    /// <summary>Tells the statement's threads that nothing is queued after what is there: they end once it is taken.</summary>
    public void EndStatement()
    {
        lock (_gate)
        {
            _ending = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Ends every wait, DuckDB's and the writer's, with nothing more taken (the writer is stopping).</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _stopped = true;
            _queue.Clear();
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>What the statement took, as the window tallies count it.</summary>
    public WindowTally Taken
    {
        get
        {
            lock (_gate)
            {
                return _taken;
            }
        }
    }

    /// <summary>
    /// Called by a DuckDB thread: up to <paramref name="most"/> rows for its lane, waiting for the writer to queue them;
    /// <c>false</c> once its lane is full or the statement is ending and nothing is queued.
    /// </summary>
    public bool TryTake(Lane lane, int most, out Part part, out int start, out int count)
    {
        lock (_gate)
        {
            while (true)
            {
                if (_stopped || lane.Rows == LaneRows)
                {
                    break;
                }
                if (_queue.TryPeek(out var head))
                {
                    part = head;
                    start = head.Next;
                    count = Math.Min(Math.Min(most, LaneRows - lane.Rows), head.Window.Count - start);
                    head.Next += count;
                    if (head.Next == head.Window.Count)
                    {
                        _queue.Dequeue();
                    }
                    lane.Rows += count;
                    _taken += WindowTally.Of(head.Window, start, count);
                    return true;
                }
                if (_ending)
                {
                    break;
                }
                Monitor.Wait(_gate);
            }
        }
        part = null!;
        start = count = 0;
        return false;
    }

    /// <summary>Called by a DuckDB thread once it copied <paramref name="count"/> rows of <paramref name="part"/>.</summary>
    public void Copied(Part part, int count)
    {
        lock (_gate)
        {
            part.NotCopied -= count;
            if (part.NotCopied == 0)
            {
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>
    /// Waits until every row of <paramref name="part"/> is copied, or <paramref name="statement"/> ends (its lanes full, or
    /// failed) first; <c>true</c> if the rows are copied.
    /// </summary>
    public bool WaitCopied(Part part, Task statement)
    {
        lock (_gate)
        {
            while (!part.Copied && !statement.IsCompleted && !_stopped)
            {
                Monitor.Wait(_gate);
            }
            return part.Copied;
        }
    }

    /// <summary>Wakes the writer waiting in <see cref="WaitCopied"/> (the statement ended).</summary>
    public void Wake()
    {
        lock (_gate)
        {
            Monitor.PulseAll(_gate);
        }
    }
}
