-- An example model on the sources: the ten most central accounts with their engagement.
select
    graph.user_id,
    graph.username,
    graph.followers,
    graph.pagerank,
    engagement.posts,
    engagement.engagement_rate_by_followers
from {{ source('instagram_analytics', 'user_graph_metrics') }} as graph
left join {{ source('instagram_analytics', 'user_engagement') }} as engagement using (user_id)
order by graph.pagerank desc
limit 10
