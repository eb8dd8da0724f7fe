"""TRK1xx: asyncio tasks that nothing keeps alive."""
