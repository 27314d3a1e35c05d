-- Everything the treasure extension defines, as text that two installs can be diffed on: member objects,
-- columns, constraints, indexes, function definitions and privileges, views, sequences, storage options,
-- comments and the pg_dump configuration.  Used by upgrade_test.sh.
WITH ext AS (SELECT e.oid, e.extconfig, e.extcondition FROM pg_catalog.pg_extension e WHERE e.extname = 'treasure'),
members AS (
  SELECT d.classid, d.objid FROM pg_catalog.pg_depend d, ext
   WHERE d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
), rels AS (
  SELECT c.oid, c.relname, c.relkind FROM pg_catalog.pg_class c
   WHERE c.relnamespace = 'treasure'::regnamespace
)
SELECT 'member ' || pg_catalog.pg_describe_object(m.classid, m.objid, 0) FROM members m
UNION ALL
SELECT 'column ' || r.relname || '.' || a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
       || COALESCE(' default ' || pg_catalog.pg_get_expr(ad.adbin, ad.adrelid), '')
       || ' #' || pg_catalog.rank() OVER (PARTITION BY r.oid ORDER BY a.attnum)
  FROM rels r JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = r.oid AND ad.adnum = a.attnum
 WHERE r.relkind IN ('r', 'v')
UNION ALL
SELECT 'constraint ' || co.conrelid::regclass::text || ' ' || co.conname || ' ' || pg_catalog.pg_get_constraintdef(co.oid)
  FROM pg_catalog.pg_constraint co WHERE co.connamespace = 'treasure'::regnamespace
UNION ALL
SELECT 'index ' || i.indexdef FROM pg_catalog.pg_indexes i WHERE i.schemaname = 'treasure'
UNION ALL
SELECT 'relation ' || r.relname || ' kind ' || r.relkind::text || ' options ' || COALESCE(c.reloptions::text, '{}')
       || ' acl ' || COALESCE(c.relacl::text, 'default') || ' owner ' || c.relowner::regrole::text
  FROM rels r JOIN pg_catalog.pg_class c ON c.oid = r.oid
UNION ALL
SELECT 'view ' || r.relname || ' ' || pg_catalog.pg_get_viewdef(r.oid) FROM rels r WHERE r.relkind = 'v'
UNION ALL
SELECT 'sequence ' || s.schemaname || '.' || s.sequencename || ' ' || s.data_type || ' ' || s.start_value || ' '
       || s.increment_by || ' ' || s.cache_size || ' owned by '
       || COALESCE((SELECT d.refobjid::regclass::text || '.' || d.refobjsubid FROM pg_catalog.pg_depend d
                     WHERE d.classid = 'pg_catalog.pg_class'::regclass
                       AND d.objid = (s.schemaname || '.' || s.sequencename)::regclass AND d.deptype = 'a'), 'nothing')
  FROM pg_catalog.pg_sequences s WHERE s.schemaname = 'treasure'
UNION ALL
SELECT 'function ' || p.oid::regprocedure::text || ' acl ' || COALESCE(p.proacl::text, 'default') || E'\n'
       || pg_catalog.pg_get_functiondef(p.oid)
  FROM pg_catalog.pg_proc p JOIN members m ON m.classid = 'pg_catalog.pg_proc'::regclass AND m.objid = p.oid
UNION ALL
SELECT 'comment ' || pg_catalog.pg_describe_object(d.classoid, d.objoid, d.objsubid) || ': ' || d.description
  FROM pg_catalog.pg_description d
 WHERE (d.classoid, d.objoid) IN (SELECT m.classid, m.objid FROM members m)
    OR (d.classoid = 'pg_catalog.pg_class'::regclass AND d.objoid IN (SELECT r.oid FROM rels r))
    OR (d.classoid = 'pg_catalog.pg_namespace'::regclass AND d.objoid = 'treasure'::regnamespace)
UNION ALL
SELECT 'dump config ' || cfg.rel::regclass::text || ' ' || quote_literal(cfg.cond)
  FROM ext, LATERAL unnest(ext.extconfig, ext.extcondition) AS cfg (rel, cond)
ORDER BY 1;
