using System.Diagnostics;
using DuckDB.NET.Data;
using DuckEmbed.Processor.Pipeline;

namespace DuckEmbed.Processor.Output;

/// <summary>
/// One writer of the output table, on a connection of its own: windows are appended to one open transaction and
/// committed together once they hold a DuckDB row group, or once the first of them has waited
/// <paramref name="commitInterval"/>. A commit of a row group or more is written straight into the file (no copy in the WAL, no
/// second write at the next checkpoint); one window per commit cost half again. A slow model still commits every
/// few seconds. A crash loses the work of the windows not committed, never a row: they are not in the table, and the
/// next run embeds them again.
/// </summary>
/// <param name="table">The output table.</param>
/// <param name="connection">This writer's own connection.</param>
/// <param name="commitInterval">The longest a written window waits for its commit.</param>
internal sealed class OutputWriter(OutputTable table, DuckDBConnection connection, TimeSpan commitInterval) : IWindowWriter, IDisposable
{
    /// <summary>DuckDB's row group: a commit of this many rows is written to the file as it is.</summary>
    public const int CommitRows = 122_880;

    private DuckDBTransaction? _transaction;

    /// <inheritdoc />
    /// <remarks>A commit of a row group takes a second or so.</remarks>
    public event Action<bool>? Committing;

    private WindowTally _pending;
    private long _firstPendingAt;

    /// <summary>
    /// Appends <paramref name="window"/>; returns what this call committed (nothing while the transaction stays open).
    /// A window that would take the transaction past a row group is split there: its first rows are committed with
    /// the row group, the rest start the next one (a commit past a row group's end leaves a partial row group, which
    /// DuckDB keeps as it is: 1M rows in commits of 131,072 made a file twice the size, at half the speed).
    /// </summary>
    public WindowTally Add(RowWindow window)
    {
        var committed = default(WindowTally);
        for (var start = 0; start < window.Count;)
        {
            var count = (int)Math.Min(window.Count - start, CommitRows - _pending.Rows);
            Append(window, start, count);
            start += count;
            if (_pending.Rows == CommitRows)
            {
                committed += Commit();
            }
        }
        return TimeToCommit == TimeSpan.Zero ? committed + Commit() : committed;
    }

    private void Append(RowWindow window, int start, int count)
    {
        try
        {
            table.EnsureCreated(window, connection);
            if (_transaction is null)
            {
                _transaction = connection.BeginTransaction();
                _firstPendingAt = Stopwatch.GetTimestamp();
            }
            table.Changes.DeleteReplaced(window, start, count, connection);
            // An appender per window (or part of one): DuckDB's appender holds up to 204,800 rows before it hands them
            // to the table, a second copy of a whole commit's rows in memory.
            using (var appender = connection.CreateAppender(table.Name))
            {
                table.Append(window, start, count, appender);
                appender.Close();
            }
            _pending += WindowTally.Of(window, start, count);
        }
        catch (DuckDBException e)
        {
            Rollback();
            throw table.WriteFailed(e);
        }
        catch
        {
            // A replaced row deleted and its new row not appended must never be committed.
            Rollback();
            throw;
        }
    }

    /// <summary>How long until the windows not committed are due (zero: now); <c>null</c> when there are none.</summary>
    public TimeSpan? TimeToCommit => _transaction is null
        ? null
        : TimeSpan.FromTicks(Math.Max(0, (commitInterval - Stopwatch.GetElapsedTime(_firstPendingAt)).Ticks));

    /// <summary>Commits the windows appended since the last commit; returns what they hold.</summary>
    public WindowTally Commit()
    {
        if (_transaction is null)
        {
            return default;
        }
        Committing?.Invoke(true);
        try
        {
            _transaction.Commit();
        }
        catch (DuckDBException e)
        {
            Rollback();
            throw table.WriteFailed(e);
        }
        finally
        {
            Committing?.Invoke(false);
        }
        var committed = _pending;
        Rollback();
        return committed;
    }

    /// <summary>Drops what is not committed.</summary>
    public void Dispose() => Rollback();

    // Disposing a committed transaction does nothing; an open one is rolled back.
    private void Rollback()
    {
        _transaction?.Dispose();
        _transaction = null;
        _pending = default;
    }
}
