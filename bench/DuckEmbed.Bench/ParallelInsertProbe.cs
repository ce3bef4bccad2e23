using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using DuckEmbed.Processor.Database;

namespace DuckEmbed.Bench;

/// <summary>
/// An experiment for the write path (#26): rows handed to DuckDB through a table function of DuckDB's C API, so that
/// <c>INSERT INTO t SELECT * FROM staged_rows()</c> runs as DuckDB's own parallel insert (each of its threads fills
/// data chunks straight from .NET memory: ids, UTF-8 texts, the floats copied into the array's child vector), one
/// statement — one transaction — per group of rows. Then DuckDB's CTAS of the same rows, timed the same way (the
/// yardstick of <c>write-path.sh</c>). Only BIGINT ids, VARCHAR texts and FLOAT[N] vectors: enough to see what the
/// path costs, not a writer.
/// </summary>
internal static unsafe partial class ParallelInsertProbe
{
    private const int ChunkRows = 2048;

    // The rows of the group being inserted, read by DuckDB's threads through the callbacks (one probe at a time).
    private static long _groupStart;
    private static long _groupEnd;
    private static long _next;
    private static int _statement;

    // Each DuckDB thread takes whole row groups (lanes) of the statement's rows, so that its own collection holds full
    // row groups only: DuckDB writes them straight to the file and links them in at the commit.
    private const int LaneRows = 122_880;
    [ThreadStatic] private static long _threadPosition;
    [ThreadStatic] private static long _threadLaneEnd;
    [ThreadStatic] private static int _threadStatement;
    private static int _dimensions;
    private static IReadOnlyList<float[]> _vectors = [];
    private static byte[][] _texts = [];

    public static void Run(int rows, int groupRows, int threads, IReadOnlyList<float[]> vectors, string folder)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"parallel-insert-{Guid.NewGuid():N}.duckdb");
        _vectors = vectors;
        _dimensions = vectors[0].Length;
        _texts = [.. Enumerable.Range(0, 997).Select(i => Encoding.UTF8.GetBytes($"package {i}: a short first line of a description, about sixty chars"))];

        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var timer = Stopwatch.StartNew();
        var database = Open(path, threads);
        Check(Native.duckdb_connect(database, out var connection) == 0, "connect");
        Query(connection, $"{JobDatabase.UncompressedFloats}; SET preserve_insertion_order = false; " +
            $"CREATE TABLE t (id BIGINT, body VARCHAR, v FLOAT[{_dimensions}])");
        Register(connection);
        var inserting = TimeSpan.Zero;
        for (long start = 0; start < rows; start += groupRows)
        {
            _groupStart = _next = start;
            _statement++;
            _groupEnd = Math.Min(rows, start + groupRows);
            var before = timer.Elapsed;
            Query(connection, "INSERT INTO t SELECT * FROM staged_rows()");
            inserting += timer.Elapsed - before;
        }
        var count = QueryLong(connection, "SELECT count(*) FROM t");
        Native.duckdb_disconnect(ref connection);
        Native.duckdb_close(ref database);
        var seconds = timer.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        var megabytes = new FileInfo(path).Length / 1e6;

        var ctasCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var ctas = ProcessorBenchmark.CtasSeconds(path, "t", folder);
        var ctasCpu = (Process.GetCurrentProcess().TotalProcessorTime - ctasCpuBefore).TotalSeconds;
        File.Delete(path);
        Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"parallel-insert rows={count} group_rows={groupRows} threads={threads} seconds={seconds:F2} insert_seconds={inserting.TotalSeconds:F2} " +
            $"rows_per_s={count / seconds:F0} output_mb={megabytes:F0} cpu_us_per_row={cpu * 1e6 / count:F1} cores_busy={cpu / seconds:F2} " +
            $"ctas_seconds={ctas:F2} ratio_to_ctas={ctas / seconds:F2} ctas_cpu_us_per_row={ctasCpu * 1e6 / count:F1}"));
    }

    private static IntPtr Open(string path, int threads)
    {
        Check(Native.duckdb_create_config(out var config) == 0, "config");
        foreach (var (name, value) in new[] { ("threads", threads.ToString(System.Globalization.CultureInfo.InvariantCulture)), ("memory_limit", "256MB") })
        {
            Check(Native.duckdb_set_config(config, name, value) == 0, name);
        }
        var state = Native.duckdb_open_ext(path, out var database, config, out var error);
        Native.duckdb_destroy_config(ref config);
        Check(state == 0, Marshal.PtrToStringUTF8(error) ?? "open");
        return database;
    }

    private static void Register(IntPtr connection)
    {
        var function = Native.duckdb_create_table_function();
        Native.duckdb_table_function_set_name(function, "staged_rows");
        Native.duckdb_table_function_set_bind(function, &Bind);
        Native.duckdb_table_function_set_init(function, &Init);
        Native.duckdb_table_function_set_function(function, &Produce);
        Check(Native.duckdb_register_table_function(connection, function) == 0, "register");
        Native.duckdb_destroy_table_function(ref function);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Bind(IntPtr info)
    {
        var bigint = Native.duckdb_create_logical_type(5);
        var varchar = Native.duckdb_create_logical_type(17);
        var single = Native.duckdb_create_logical_type(10);
        var array = Native.duckdb_create_array_type(single, (ulong)_dimensions);
        Native.duckdb_bind_add_result_column(info, "id", bigint);
        Native.duckdb_bind_add_result_column(info, "body", varchar);
        Native.duckdb_bind_add_result_column(info, "v", array);
        Native.duckdb_bind_set_cardinality(info, (ulong)(_groupEnd - _groupStart), true);
        Native.duckdb_destroy_logical_type(ref bigint);
        Native.duckdb_destroy_logical_type(ref varchar);
        Native.duckdb_destroy_logical_type(ref single);
        Native.duckdb_destroy_logical_type(ref array);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Init(IntPtr info) => Native.duckdb_init_set_max_threads(info, 64);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Produce(IntPtr info, IntPtr chunk)
    {
        if (_threadStatement != _statement || _threadPosition >= _threadLaneEnd)
        {
            _threadStatement = _statement;
            _threadPosition = Interlocked.Add(ref _next, LaneRows) - LaneRows;
            _threadLaneEnd = Math.Min(_groupEnd, _threadPosition + LaneRows);
        }
        var start = _threadPosition;
        var count = (int)Math.Clamp(_threadLaneEnd - start, 0, ChunkRows);
        _threadPosition += count;
        if (count > 0)
        {
            var ids = (long*)Native.duckdb_vector_get_data(Native.duckdb_data_chunk_get_vector(chunk, 0));
            var bodies = Native.duckdb_data_chunk_get_vector(chunk, 1);
            var floats = (float*)Native.duckdb_vector_get_data(Native.duckdb_array_vector_get_child(Native.duckdb_data_chunk_get_vector(chunk, 2)));
            for (var r = 0; r < count; r++)
            {
                var id = start + r;
                ids[r] = id;
                var text = _texts[id % _texts.Length];
                fixed (byte* bytes = text)
                {
                    Native.duckdb_vector_assign_string_element_len(bodies, (ulong)r, bytes, (ulong)text.Length);
                }
                _vectors[(int)(id % _vectors.Count)].AsSpan().CopyTo(new Span<float>(floats + (long)r * _dimensions, _dimensions));
            }
        }
        Native.duckdb_data_chunk_set_size(chunk, (ulong)count);
    }

    private static void Query(IntPtr connection, string sql)
    {
        var result = stackalloc byte[64];
        var state = Native.duckdb_query(connection, sql, result);
        var error = state == 0 ? null : Marshal.PtrToStringUTF8(Native.duckdb_result_error(result));
        Native.duckdb_destroy_result(result);
        Check(state == 0, error ?? sql);
    }

    private static long QueryLong(IntPtr connection, string sql)
    {
        var result = stackalloc byte[64];
        Check(Native.duckdb_query(connection, sql, result) == 0, sql);
        var value = Native.duckdb_value_int64(result, 0, 0);
        Native.duckdb_destroy_result(result);
        return value;
    }

    private static void Check(bool ok, string what)
    {
        if (!ok)
        {
            throw new InvalidOperationException($"DuckDB C API: {what}");
        }
    }

    private static partial class Native
    {
        private const string Library = "duckdb";

        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial int duckdb_create_config(out IntPtr config);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial int duckdb_set_config(IntPtr config, string name, string option);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void duckdb_destroy_config(ref IntPtr config);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial int duckdb_open_ext(string path, out IntPtr database, IntPtr config, out IntPtr error);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial int duckdb_connect(IntPtr database, out IntPtr connection);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void duckdb_disconnect(ref IntPtr connection);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void duckdb_close(ref IntPtr database);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial int duckdb_query(IntPtr connection, string query, byte* result);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void duckdb_destroy_result(byte* result);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial IntPtr duckdb_result_error(byte* result);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial long duckdb_value_int64(byte* result, ulong column, ulong row);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial IntPtr duckdb_create_table_function();
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void duckdb_destroy_table_function(ref IntPtr function);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void duckdb_table_function_set_name(IntPtr function, string name);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void duckdb_table_function_set_bind(IntPtr function, delegate* unmanaged[Cdecl]<IntPtr, void> bind);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void duckdb_table_function_set_init(IntPtr function, delegate* unmanaged[Cdecl]<IntPtr, void> init);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void duckdb_table_function_set_function(IntPtr function, delegate* unmanaged[Cdecl]<IntPtr, IntPtr, void> produce);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial int duckdb_register_table_function(IntPtr connection, IntPtr function);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void duckdb_bind_add_result_column(IntPtr info, string name, IntPtr type);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void duckdb_bind_set_cardinality(IntPtr info, ulong cardinality, [MarshalAs(UnmanagedType.U1)] bool exact);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void duckdb_init_set_max_threads(IntPtr info, ulong threads);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial IntPtr duckdb_create_logical_type(int type);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial IntPtr duckdb_create_array_type(IntPtr child, ulong size);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void duckdb_destroy_logical_type(ref IntPtr type);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial IntPtr duckdb_data_chunk_get_vector(IntPtr chunk, ulong column);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void duckdb_data_chunk_set_size(IntPtr chunk, ulong size);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void* duckdb_vector_get_data(IntPtr vector);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void duckdb_vector_assign_string_element_len(IntPtr vector, ulong index, byte* text, ulong length);
        [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial IntPtr duckdb_array_vector_get_child(IntPtr vector);
    }
}
