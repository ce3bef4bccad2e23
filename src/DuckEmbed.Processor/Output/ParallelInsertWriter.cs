using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DuckDB.NET.Data;
using DuckEmbed.Processor.Pipeline;
using static DuckEmbed.Processor.Output.DuckDbTableFunctionApi;

namespace DuckEmbed.Processor.Output;

/// <summary>
/// The output's writer at DuckDB's bulk speed: windows go to a running <c>INSERT INTO output SELECT * FROM f()</c>,
/// where f is a table function whose <paramref name="lanes"/> threads copy the windows' rows into DuckDB's data chunks,
/// so that DuckDB writes them in parallel as it does its own bulk inserts (appenders, one per connection, commit one
/// at a time, and stayed at 0.6 × DuckDB's own bulk write on 2 cores). One statement is one transaction: it ends,
/// and commits, once each thread has filled a row group (<see cref="StagedRows"/>) or its first row has waited
/// <paramref name="commitInterval"/>. A crash loses what the running statement took, never a row: it is not
/// committed, and the next run embeds it again.
/// </summary>
/// <param name="table">The output table.</param>
/// <param name="connection">The connection the statements run on (no other use while a statement runs).</param>
/// <param name="commitInterval">The longest a written window waits for its commit.</param>
/// <param name="lanes">DuckDB threads writing at once (the database must allow as many).</param>
internal sealed unsafe class ParallelInsertWriter(OutputTable table, DuckDBConnection connection, TimeSpan commitInterval, int lanes)
    : IWindowWriter, IDisposable
{
    // DuckDB's standard vector size: the rows of one data chunk.
    private const int ChunkRows = 2048;

    private readonly StagedRows _rows = new();
    private readonly ulong _lanes = (ulong)lanes;

    // Where the first window made the table with a list column (its vectors' length unknown: every text NULL), the
    // appender writes instead.
    private OutputWriter? _appender;
    private string? _function;
    private ChunkLayout? _layout;
    private DuckDBTransaction? _transaction;
    private Task? _statement;
    private long _startedAt;
    private Exception? _failure;

    /// <inheritdoc />
    public event Action<bool>? Committing;

    /// <summary>Whether the table function can give ids of <paramref name="idType"/> (its vectors must be in arrays).</summary>
    public static bool CanWrite(string idType) => ChunkLayout.CanCopyIds(idType);

    /// <summary>
    /// Queues <paramref name="window"/> for the running statement (starting one if none runs) and returns once
    /// DuckDB's threads have copied its rows; returns what was committed meanwhile (statements whose lanes filled).
    /// </summary>
    public WindowTally Add(RowWindow window)
    {
        if (_appender is not null)
        {
            return _appender.Add(window);
        }
        var committed = default(WindowTally);
        StagedRows.Part? part = null;
        while (true)
        {
            if (!Start(window))
            {
                return _appender!.Add(window);
            }
            part ??= _rows.Queue(window);
            if (_rows.WaitCopied(part, _statement!))
            {
                break;
            }
            // The statement ended before the window was copied: its lanes are full (the rest is the next one's), or it failed.
            committed += Commit();
        }
        return TimeToCommit == TimeSpan.Zero ? committed + Commit() : committed;
    }

    // Starts a statement unless one runs; false if the table has a list column, which the appender writes.
    private bool Start(RowWindow window)
    {
        if (_statement is not null)
        {
            return true;
        }
        try
        {
            table.EnsureCreated(window, connection);
            _layout ??= Layout();
            if (_layout is null)
            {
                _appender = new OutputWriter(table, connection, commitInterval);
                _appender.Committing += starts => Committing?.Invoke(starts);
                return false;
            }
            _function ??= Register();
            _transaction = connection.BeginTransaction();
        }
        catch (DuckDBException e)
        {
            Rollback();
            throw table.WriteFailed(e);
        }
        _rows.StartStatement();
        _startedAt = Stopwatch.GetTimestamp();
        var insert = $"INSERT INTO {Database.SqlIdentifier.Quote(table.Name)} SELECT * FROM {_function}()";
        _statement = Task.Factory.StartNew(() =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = insert;
            command.ExecuteNonQuery();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        _statement.ContinueWith(_ => _rows.Wake(), TaskScheduler.Default);
        return true;
    }

    private ChunkLayout? Layout() =>
        ChunkLayout.For([.. OutputTable.ReadColumns(connection, table.Name).Select(c => c.Type)], table.Encoding.Ranges);

    /// <summary>How long until the running statement is due to end (zero: now); <c>null</c> when none runs.</summary>
    public TimeSpan? TimeToCommit =>
        _appender is not null ? _appender.TimeToCommit
        : _statement is null ? null
        : _statement.IsCompleted ? TimeSpan.Zero
        : TimeSpan.FromTicks(Math.Max(0, (commitInterval - Stopwatch.GetElapsedTime(_startedAt)).Ticks));

    /// <summary>Ends the running statement once it has what is queued, and commits it; returns what it wrote.</summary>
    public WindowTally Commit()
    {
        if (_appender is not null)
        {
            return _appender.Commit();
        }
        if (_statement is null)
        {
            return default;
        }
        _rows.EndStatement();
        try
        {
            _statement.GetAwaiter().GetResult();
        }
        catch (DuckDBException e)
        {
            _rows.Stop();
            Rollback();
            if (_failure is not null)
            {
                // The callback's own error, with its stack, rather than DuckDB's message of it.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_failure);
            }
            throw table.WriteFailed(e);
        }
        Committing?.Invoke(true);
        try
        {
            _transaction!.Commit();
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
        var committed = _rows.Taken;
        Rollback();
        return committed;
    }

    /// <summary>Ends a running statement without committing it.</summary>
    public void Dispose()
    {
        _appender?.Dispose();
        _rows.Stop();
        try
        {
            _statement?.Wait();
        }
        catch (AggregateException)
        {
            // Rolled back below either way.
        }
        Rollback();
    }

    // Disposing a committed transaction does nothing; an open one is rolled back.
    private void Rollback()
    {
        _transaction?.Dispose();
        _transaction = null;
        _statement = null;
    }

    // The function's name is this writer's own: DuckDB keeps table functions for as long as the database is open, and
    // its extra information (this writer) with it.
    private string Register()
    {
        var name = $"duckembed_rows_{Guid.NewGuid():N}";
        var function = duckdb_create_table_function();
        try
        {
            duckdb_table_function_set_name(function, name);
            duckdb_table_function_set_extra_info(function, GCHandle.ToIntPtr(GCHandle.Alloc(this)), &FreeHandle);
            duckdb_table_function_set_bind(function, &Bind);
            duckdb_table_function_set_init(function, &Init);
            duckdb_table_function_set_local_init(function, &LocalInit);
            duckdb_table_function_set_function(function, &Produce);
            if (duckdb_register_table_function(connection.NativeConnection.DangerousGetHandle(), function) != 0)
            {
                throw new InvalidOperationException($"DuckDB refused the table function {name}.");
            }
        }
        finally
        {
            duckdb_destroy_table_function(ref function);
        }
        return name;
    }

    private static T Target<T>(IntPtr handle) => (T)GCHandle.FromIntPtr(handle).Target!;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void FreeHandle(IntPtr handle) => GCHandle.FromIntPtr(handle).Free();

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Bind(IntPtr info)
    {
        try
        {
            Target<ParallelInsertWriter>(duckdb_bind_get_extra_info(info))._layout!.Bind(info);
        }
        catch (Exception e)
        {
            duckdb_bind_set_error(info, e.Message);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Init(IntPtr info) =>
        duckdb_init_set_max_threads(info, Target<ParallelInsertWriter>(duckdb_init_get_extra_info(info))._lanes);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void LocalInit(IntPtr info) =>
        duckdb_init_set_init_data(info, GCHandle.ToIntPtr(GCHandle.Alloc(new StagedRows.Lane())), &FreeHandle);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Produce(IntPtr info, IntPtr chunk)
    {
        var writer = Target<ParallelInsertWriter>(duckdb_function_get_extra_info(info));
        try
        {
            var lane = Target<StagedRows.Lane>(duckdb_function_get_local_init_data(info));
            if (!writer._rows.TryTake(lane, ChunkRows, out var part, out var start, out var count))
            {
                duckdb_data_chunk_set_size(chunk, 0);
                return;
            }
            try
            {
                writer._layout!.Fill(chunk, part.Window, start, count);
            }
            finally
            {
                writer._rows.Copied(part, count);
            }
        }
        catch (Exception e)
        {
            // Thrown to the writer, which sees DuckDB's error for it; nothing may leave a callback.
            writer._failure ??= e;
            duckdb_function_set_error(info, e.Message);
        }
    }
}
