using System.Runtime.InteropServices;

namespace DuckEmbed.Processor.Output;

/// <summary>
/// The part of DuckDB's C API a table function takes (the library DuckDB.NET loads): DuckDB.NET's own table functions
/// run on one thread and box every value, which is what <see cref="ParallelInsertWriter"/> exists to avoid.
/// </summary>
internal static unsafe partial class DuckDbTableFunctionApi
{
    private const string Library = "duckdb";

    /// <summary>DuckDB's type ids (<c>DUCKDB_TYPE</c>).</summary>
    public enum TypeId
    {
        TinyInt = 2,
        SmallInt = 3,
        Integer = 4,
        BigInt = 5,
        UTinyInt = 6,
        USmallInt = 7,
        UInteger = 8,
        UBigInt = 9,
        Float = 10,
        Double = 11,
        Varchar = 17,
        Blob = 18,
    }

    [LibraryImport(Library)] public static partial IntPtr duckdb_create_table_function();
    [LibraryImport(Library)] public static partial void duckdb_destroy_table_function(ref IntPtr function);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void duckdb_table_function_set_name(IntPtr function, string name);
    [LibraryImport(Library)] public static partial void duckdb_table_function_set_extra_info(IntPtr function, IntPtr extraInfo, delegate* unmanaged[Cdecl]<IntPtr, void> destroy);
    [LibraryImport(Library)] public static partial void duckdb_table_function_set_bind(IntPtr function, delegate* unmanaged[Cdecl]<IntPtr, void> bind);
    [LibraryImport(Library)] public static partial void duckdb_table_function_set_init(IntPtr function, delegate* unmanaged[Cdecl]<IntPtr, void> init);
    [LibraryImport(Library)] public static partial void duckdb_table_function_set_local_init(IntPtr function, delegate* unmanaged[Cdecl]<IntPtr, void> init);
    [LibraryImport(Library)] public static partial void duckdb_table_function_set_function(IntPtr function, delegate* unmanaged[Cdecl]<IntPtr, IntPtr, void> produce);
    [LibraryImport(Library)] public static partial int duckdb_register_table_function(IntPtr connection, IntPtr function);

    [LibraryImport(Library)] public static partial IntPtr duckdb_bind_get_extra_info(IntPtr info);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void duckdb_bind_add_result_column(IntPtr info, string name, IntPtr type);
    [LibraryImport(Library)] public static partial void duckdb_bind_set_cardinality(IntPtr info, ulong cardinality, [MarshalAs(UnmanagedType.U1)] bool exact);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void duckdb_bind_set_error(IntPtr info, string error);
    [LibraryImport(Library)] public static partial void duckdb_init_set_max_threads(IntPtr info, ulong threads);
    [LibraryImport(Library)] public static partial IntPtr duckdb_init_get_extra_info(IntPtr info);
    [LibraryImport(Library)] public static partial void duckdb_init_set_init_data(IntPtr info, IntPtr data, delegate* unmanaged[Cdecl]<IntPtr, void> destroy);
    [LibraryImport(Library)] public static partial IntPtr duckdb_function_get_extra_info(IntPtr info);
    [LibraryImport(Library)] public static partial IntPtr duckdb_function_get_local_init_data(IntPtr info);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial void duckdb_function_set_error(IntPtr info, string error);

    [LibraryImport(Library)] public static partial IntPtr duckdb_create_logical_type(TypeId type);
    [LibraryImport(Library)] public static partial IntPtr duckdb_create_array_type(IntPtr child, ulong size);
    [LibraryImport(Library)] public static partial void duckdb_destroy_logical_type(ref IntPtr type);

    [LibraryImport(Library)] public static partial IntPtr duckdb_data_chunk_get_vector(IntPtr chunk, ulong column);
    [LibraryImport(Library)] public static partial void duckdb_data_chunk_set_size(IntPtr chunk, ulong size);
    [LibraryImport(Library)] public static partial void* duckdb_vector_get_data(IntPtr vector);
    [LibraryImport(Library)] public static partial void duckdb_vector_assign_string_element_len(IntPtr vector, ulong index, byte* text, ulong length);
    [LibraryImport(Library)] public static partial IntPtr duckdb_array_vector_get_child(IntPtr vector);
    [LibraryImport(Library)] public static partial void duckdb_vector_ensure_validity_writable(IntPtr vector);
    [LibraryImport(Library)] public static partial ulong* duckdb_vector_get_validity(IntPtr vector);
}
