"""What the tests share: parsed pages, signed-in clients, demo data builders, crafted photos
and browser steps. Test modules import from here, never from each other."""
