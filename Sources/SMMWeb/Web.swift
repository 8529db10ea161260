// The customer site and the admin console.
